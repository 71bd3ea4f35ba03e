import { Injectable } from '@nestjs/common';
import type { SandboxPayment } from './sandbox-payments.repository';
import type { SandboxTransaction } from './back-office';

/** A simulated gateway's reaction to a customer paying (e.g. Ahnajak sends its webhook). */
export interface PaymentReaction {
  provider: string;
  onPaid(payment: SandboxPayment, txn: SandboxTransaction | null): Promise<void>;
}

/**
 * Simulators register what they do when /sandbox/control/pay (or their Pay button) records a
 * payment. A gateway that pushes nothing (its verify/check API or the browser carries the news)
 * registers nothing.
 */
@Injectable()
export class SandboxReactions {
  private readonly reactions = new Map<string, PaymentReaction>();

  register(reaction: PaymentReaction): void {
    this.reactions.set(reaction.provider, reaction);
  }

  async paid(payment: SandboxPayment, txn: SandboxTransaction | null): Promise<void> {
    await this.reactions.get(payment.provider)?.onPaid(payment, txn);
  }
}
