error-generic = Entschuldigung, bei uns ist etwas schiefgelaufen. Bitte versuche es gleich noch einmal.
not-linked = Dieser Chat ist noch mit keinem Lodge-Konto verknüpft. Öffne im Web deine Kontoeinstellungen und wähle „Telegram verknüpfen“.
invite-only = Entschuldigung, dieser Bot ist nur mit Einladung nutzbar. Wenn du einen Einladungscode hast, sende /start und dahinter den Code.
unknown-command = Diesen Befehl kenne ich nicht.
service-unavailable = Entschuldigung, diesen Teil von Lodge erreiche ich gerade nicht. Bitte versuche es in ein paar Minuten noch einmal.
button-stale = Diese Schaltfläche gilt nicht mehr. Sende den Befehl noch einmal für eine neue.
