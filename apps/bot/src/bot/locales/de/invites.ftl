invite-admins-only = Entschuldigung, nur Admins können Einladungscodes erstellen.
invite-usage = Sende /invite oder /invite <Nutzungen> <Tage>: ein Code für bis zu { $maxUses } Chats, gültig bis zu { $maxDays } Tage (Standard: ein Chat, 7 Tage).
invite-made =
    Hier ist ein Einladungscode für { $uses ->
        [one] einen Chat
       *[other] { $uses } Chats
    }, gültig für { $days ->
        [one] einen Tag
       *[other] { $days } Tage
    }:
    { $code }
    Schicke diesen Link an die Person, die du einlädst: { $url }
help-admin = /invite [Nutzungen] [Tage] – einen Einladungscode erstellen (Admins)
