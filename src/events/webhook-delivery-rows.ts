/** The rows WebhookDeliveriesRepository reads for the delivery log (its file stays under the size limit). */

/** A delivery as the operators' log shows it. */
export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  merchant_id: string;
  /** Its endpoint's mode (the fan-out pairs an event only with endpoints of its own mode). */
  livemode: boolean;
  url: string;
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_latency_ms: number | null;
  last_response: string | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

export interface AttemptRow {
  attempt: number;
  started_at: Date;
  status: number | null;
  latency_ms: number;
  response_snippet: string | null;
  error: string | null;
}

export interface DeliveryFilter {
  status?: string;
  merchantId?: string;
  /** Only deliveries of this mode (the merchant's own log); unset: both (operators). */
  livemode?: boolean;
  endpointId?: string;
  eventId?: string;
  startingAfter?: string;
  limit: number;
}
