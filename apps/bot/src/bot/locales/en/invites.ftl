invite-admins-only = Sorry, only admins can make invite codes.
invite-usage = Send /invite, or /invite <uses> <days>: a code for up to { $maxUses } chats, valid up to { $maxDays } days (default: one chat, 7 days).
invite-made =
    Here is an invite code for { $uses ->
        [one] one chat
       *[other] { $uses } chats
    }, valid for { $days ->
        [one] one day
       *[other] { $days } days
    }:
    { $code }
    Send this link to who you invite: { $url }
help-admin = /invite [uses] [days] – make an invite code (admins)
