help =
    Here is what I can do:
    /ask <question> – ask the AI
    /new – start a new conversation with the AI
    /remind <when> <text> – set a reminder (“in 10 minutes”, “tomorrow 9:00”, “every weekday 8:30”, “on 2027-01-15 14:00”)
    /reminders – your reminders
    /settings – language, notifications and quiet hours
    /whoami – which account this chat is linked to
    /unlink – unlink this chat from your account
    /help – this message
command-ask = Ask the AI
command-remind = Set a reminder
command-reminders = Your reminders
command-settings = Language, notifications, quiet hours
command-whoami = Which account this chat is linked to
command-unlink = Unlink this chat from your account
command-help = What I can do
