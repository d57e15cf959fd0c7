error-generic = Sorry, something went wrong on our side. Please try again in a moment.
not-linked = This chat is not linked to a Lodge account yet. Open your account settings on the web and choose “Link Telegram”.
invite-only = Sorry, this bot is invite-only. If you have an invite code, send /start followed by the code.
unknown-command = I don't know that command.
service-unavailable = Sorry, I can't reach that part of Lodge right now. Please try again in a few minutes.
button-stale = This button is no longer valid. Send the command again for a fresh one.
