export { createEventBus, type EventBus, type Handler, type Handlers, type SubscribeOptions } from "./bus";
export { type Envelope, type EventDataOf, type EventType, erasingServices, eventData, eventTypes, parseEnvelope } from "./catalog";
export { registerEventMetrics } from "./metrics";
export { createOutbox, type Outbox } from "./outbox";
