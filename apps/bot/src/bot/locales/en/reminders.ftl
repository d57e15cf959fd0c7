remind-usage =
    Tell me when, then what. For example:
    /remind in 10 minutes take the pizza out
    /remind tomorrow 9:00 water the plants
    /remind at 18:00 call mum
    /remind on 2027-01-15 14:00 dentist
    /remind every weekday 8:30 stand-up
    /remind every day 7:00 vitamins
    /remind every monday and thursday 18:00 gym
    Times are in your time zone (set in your profile on the web).
remind-created = Okay, I'll remind you on { $when }: { $text }
remind-created-repeat = Okay, I'll remind you { $repeat } at { $time }, next on { $next }: { $text }
remind-telegram-off = Note: Telegram notifications are off in your /settings, so reminders won't reach you here until you turn them on.
remind-past = That time has already passed ({ $when }). Please pick a time in the future.
remind-too-long = That reminder is too long: please keep it under { $max } characters.
remind-refused = I couldn't set that reminder: { $reason }
remind-limit = You have as many reminders as you can have. Cancel one in /reminders first.
remind-rate = That's a lot of reminders at once. Please wait a minute and try again.
reminders-none = You have no reminders. Set one with /remind.
reminders-title = Your reminders ({ $count }):
reminders-repeat = { $repeat }, next { $next }
reminders-more = … and { $count } more.
reminders-cancel-button = ✕ { $number }. { $text }
reminders-cancelled = Reminder cancelled.
reminders-cancel-gone = That reminder doesn't exist any more.
repeat-daily = every day
repeat-weekdays = every weekday
repeat-weekend = every Saturday and Sunday
repeat-weekly = every week
repeat-monthly = every month
repeat-days = every { $days }
repeat-other = repeating ({ $rule })
