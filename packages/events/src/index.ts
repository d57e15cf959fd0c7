export { createEventBus, type EventBus, type Handler, type Handlers, type SubscribeOptions } from "./bus";
export { defaultPreferences, type Envelope, type EventDataOf, type EventType, eventData, eventTypes, mustComplete, parseEnvelope } from "./catalog";
export { createDeadLetters, type DeadLetter, type DeadLetters } from "./dead-letters";
export { registerEventMetrics } from "./metrics";
export { createOutbox, type Outbox, type OutboxTable } from "./outbox";
export { isPermanent, PermanentEventError, type RetryInfo, retryDelay } from "./retry";
export { createStopSignal, type StopSignal } from "./stop-signal";
