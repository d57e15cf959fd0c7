export const bearer = [{ bearer: [] }];
