command-new = Start a new conversation with the AI
ask-usage = Send your question after the command, for example: /ask How do I make a good cup of tea?
ask-not-configured = The AI is not set up for this bot yet (its operator has to give it a client secret).
ask-busy = I am still answering your earlier questions. Please wait for those answers before you ask more.
ask-new = Okay, let's start over: I have forgotten our conversation.
ask-empty = The AI gave no answer. Please try asking differently.
ask-cut-off = The answer stopped early: { $reason }
ask-interrupted = The bot was restarting, so the answer was interrupted. Please ask again.
ask-timeout = The AI took too long to answer. Please try again.
ask-unavailable = The AI is not available right now. Please try again in { $wait }.
ask-rate-limited = You are asking faster than your limit allows. Please try again in { $wait }.
ask-budget-spent = Your AI budget is used up for now. It renews in { $wait }.
ask-model-missing = The AI model this bot uses is not available. Please let the administrators know.
ask-refused = The AI could not take this question. If our conversation has grown long, send /new and ask again.
ask-wait-moment = a moment
ask-wait =
    { $unit ->
        [seconds] { $count ->
            [one] one second
           *[other] { $count } seconds
        }
        [minutes] { $count ->
            [one] one minute
           *[other] { $count } minutes
        }
        [hours] { $count ->
            [one] one hour
           *[other] { $count } hours
        }
       *[days] { $count ->
            [one] one day
           *[other] { $count } days
        }
    }
