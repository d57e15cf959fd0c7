remind-usage =
    Sag mir wann und was. Zum Beispiel:
    /remind in 10 Minuten Pizza aus dem Ofen holen
    /remind morgen 9:00 Pflanzen gießen
    /remind um 18:00 Mama anrufen
    /remind am 15.01.2027 14:00 Zahnarzt
    /remind jeden Werktag 8:30 Stand-up
    /remind jeden Tag 7:00 Vitamine
    /remind jeden Montag und Donnerstag 18:00 Sport
    Englisch geht auch („tomorrow 9:00“, „every weekday 8:30“). Zeiten gelten in deiner Zeitzone (im Web in deinem Profil eingestellt).
remind-created = Alles klar, ich erinnere dich am { $when }: { $text }
remind-created-repeat = Alles klar, ich erinnere dich { $repeat } um { $time }, das nächste Mal am { $next }: { $text }
remind-telegram-off = Hinweis: Telegram-Benachrichtigungen sind in deinen /settings ausgeschaltet, deshalb kommen Erinnerungen hier erst an, wenn du sie einschaltest.
remind-past = Dieser Zeitpunkt ist schon vorbei ({ $when }). Bitte wähle einen Zeitpunkt in der Zukunft.
remind-too-long = Diese Erinnerung ist zu lang: bitte höchstens { $max } Zeichen.
remind-refused = Diese Erinnerung konnte ich nicht setzen: { $reason }
remind-limit = Du hast schon so viele Erinnerungen, wie möglich sind. Lösche zuerst eine in /reminders.
remind-rate = Das sind viele Erinnerungen auf einmal. Bitte warte eine Minute und versuche es dann noch einmal.
reminders-none = Du hast keine Erinnerungen. Setze eine mit /remind.
reminders-title = Deine Erinnerungen ({ $count }):
reminders-repeat = { $repeat }, nächstes Mal { $next }
reminders-more = … und { $count } weitere.
reminders-cancel-button = ✕ { $number }. { $text }
reminders-cancelled = Erinnerung gelöscht.
reminders-cancel-gone = Diese Erinnerung gibt es nicht mehr.
repeat-daily = jeden Tag
repeat-weekdays = jeden Werktag
repeat-weekend = jeden Samstag und Sonntag
repeat-weekly = jede Woche
repeat-monthly = jeden Monat
repeat-days = jeden { $days }
repeat-other = wiederholt ({ $rule })
