help =
    Das kann ich für dich tun:
    /ask <Frage> – die KI fragen
    /new – ein neues Gespräch mit der KI beginnen
    /remind <wann> <Text> – eine Erinnerung setzen („in 10 minutes“, „tomorrow 9:00“, „every weekday 8:30“, „on 2027-01-15 14:00“)
    /reminders – deine Erinnerungen
    /settings – Sprache, Benachrichtigungen und Ruhezeiten
    /whoami – mit welchem Konto dieser Chat verknüpft ist
    /unlink – diesen Chat von deinem Konto trennen
    /help – diese Nachricht
command-ask = Die KI fragen
command-remind = Eine Erinnerung setzen
command-reminders = Deine Erinnerungen
command-settings = Sprache, Benachrichtigungen, Ruhezeiten
command-whoami = Mit welchem Konto dieser Chat verknüpft ist
command-unlink = Diesen Chat von deinem Konto trennen
command-help = Was ich kann
