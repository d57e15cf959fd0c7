error-generic = Entschuldigung, bei uns ist etwas schiefgelaufen. Bitte versuche es gleich noch einmal.
not-linked = Dieser Chat ist noch mit keinem Lodge-Konto verknüpft. Öffne im Web deine Kontoeinstellungen und wähle „Telegram verknüpfen“.
invite-only = Entschuldigung, dieser Bot ist nur mit Einladung nutzbar. Wenn du einen Einladungscode hast, sende /start und dahinter den Code.
unknown-command = Diesen Befehl kenne ich nicht.
