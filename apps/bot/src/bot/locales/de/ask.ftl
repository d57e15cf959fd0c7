command-new = Ein neues Gespräch mit der KI beginnen
ask-usage = Sende deine Frage hinter dem Befehl, zum Beispiel: /ask Wie koche ich einen guten Tee?
ask-not-configured = Die KI ist für diesen Bot noch nicht eingerichtet (sein Betreiber muss ihm ein Client-Secret geben).
ask-busy = Ich beantworte noch deine vorherigen Fragen. Bitte warte auf diese Antworten, bevor du weitere stellst.
ask-new = Alles klar, wir fangen neu an: Ich habe unser Gespräch vergessen.
ask-empty = Die KI hat keine Antwort gegeben. Bitte versuche, anders zu fragen.
ask-cut-off = Die Antwort hat vorzeitig aufgehört: { $reason }
ask-interrupted = Der Bot wurde neu gestartet, deshalb wurde die Antwort unterbrochen. Bitte frag noch einmal.
ask-timeout = Die KI hat zu lange für die Antwort gebraucht. Bitte versuche es noch einmal.
ask-unavailable = Die KI ist gerade nicht erreichbar. Bitte versuche es in { $wait } noch einmal.
ask-rate-limited = Du fragst schneller, als dein Limit erlaubt. Bitte versuche es in { $wait } noch einmal.
ask-budget-spent = Dein KI-Budget ist vorerst aufgebraucht. Es erneuert sich in { $wait }.
ask-model-missing = Das KI-Modell dieses Bots ist nicht verfügbar. Bitte sag den Administratoren Bescheid.
ask-refused = Die KI konnte diese Frage nicht annehmen. Wenn unser Gespräch lang geworden ist, sende /new und frag noch einmal.
ask-wait-moment = einem Moment
ask-wait =
    { $unit ->
        [seconds] { $count ->
            [one] einer Sekunde
           *[other] { $count } Sekunden
        }
        [minutes] { $count ->
            [one] einer Minute
           *[other] { $count } Minuten
        }
        [hours] { $count ->
            [one] einer Stunde
           *[other] { $count } Stunden
        }
       *[days] { $count ->
            [one] einem Tag
           *[other] { $count } Tagen
        }
    }
