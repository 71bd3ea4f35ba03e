import { Injectable } from '@nestjs/common';
import { OutboundError, OutboundHttp, OutboundRequest, OutboundResponse } from '../common/http/outbound-http';
import {
  CreditOutcome,
  LookupOutcome,
  parsePerfectPanelAdd,
  parsePerfectPanelPayments,
  parseSocPanelIncrement,
  perfectPanelAddPayment,
  perfectPanelListPayments,
  socPanelIncrementBalance,
  transportOutcome,
} from './panels.transformers';
import type { SmmPanelSettings } from './smm-panels.service';

export interface CreditRequest {
  orderId: string;
  username: string;
  /** Decimal string, e.g. "12.50". */
  amount: string;
}

/** The two panels' balance APIs over OutboundHttp (deadline, no redirects, SSRF guard). */
@Injectable()
export class PanelClient {
  constructor(private readonly http: OutboundHttp) {}

  /** Whether this panel can tell us afterwards if a credit happened. */
  static canLookUp(type: SmmPanelSettings['type']): boolean {
    return type === 'perfectpanel';
  }

  async credit(panel: SmmPanelSettings, c: CreditRequest): Promise<CreditOutcome> {
    const req =
      panel.type === 'perfectpanel'
        ? perfectPanelAddPayment(panel.apiUrl, panel.apiKey, { username: c.username, amount: c.amount, orderId: c.orderId })
        : socPanelIncrementBalance(panel.apiUrl, panel.apiKey, { username: c.username, amount: c.amount });
    let res: OutboundResponse;
    try {
      res = await this.send(req);
    } catch (err) {
      if (err instanceof OutboundError) return transportOutcome(err.kind, err.message);
      throw err;
    }
    return panel.type === 'perfectpanel' ? parsePerfectPanelAdd(res) : parseSocPanelIncrement(res);
  }

  /** PerfectPanel only: did a payment with this order's memo already land? Throws when the panel cannot say. */
  async lookUp(panel: SmmPanelSettings, c: CreditRequest): Promise<LookupOutcome> {
    if (!PanelClient.canLookUp(panel.type)) throw new Error(`${panel.type} has no payment look-up`);
    const res = await this.send(perfectPanelListPayments(panel.apiUrl, panel.apiKey, c.username));
    return parsePerfectPanelPayments(res, c.orderId);
  }

  private send(req: OutboundRequest): Promise<OutboundResponse> {
    return this.http.send({ timeoutMs: this.http.providerTimeoutMs, maxBodyBytes: 512 * 1024, ...req });
  }
}
