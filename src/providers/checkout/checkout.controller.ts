import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock';
import { sha256Hex } from '../../common/crypto';
import { notFound, ProblemException } from '../../common/problem';
import { AppConfig } from '../../config/config';
import { Order, Transaction } from '../../orders/order.entity';
import { OrderTransitions, TransitionResult } from '../../orders/order-transitions.service';
import { GATEWAY_TRANSACTION_ID, RETURN_TOKEN } from './checkout.transformers';
import { returnedRows } from '../../database/rows';

/** Thrown inside the database transaction to roll it back when the order changed under us. */
class LostRace extends Error {}

@ApiTags('Callbacks')
@Controller('callbacks/checkout')
export class CheckoutCallbackController {
  constructor(
    private readonly db: DataSource,
    private readonly transitions: OrderTransitions,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** The transaction whose return (or cancel) link carries this token, found by the token's sha256: nothing secret is compared in JavaScript. */
  private async transactionForToken(token: string, link: 'return' | 'cancel'): Promise<Transaction> {
    const transactions = this.db.getRepository(Transaction);
    const txn = !RETURN_TOKEN.test(token)
      ? null
      : link === 'return'
        ? await transactions.findOneBy({ provider: 'checkout', returnTokenHash: sha256Hex(token) })
        : await transactions.findOneBy({ provider: 'checkout', cancelTokenHash: sha256Hex(token) });
    if (!txn) throw notFound(`${link} link`);
    return txn;
  }

  private redirect(reply: FastifyReply, target: string): void {
    void reply.status(302).header('location', target).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send();
  }

  private statusPage(orderId: string): string {
    return `${this.config.publicBaseUrl}/pay/${orderId}`;
  }

  @Get(':token/return')
  @ApiOperation({
    summary: "The hosted checkout's success return",
    description:
      'The gateway redirects the customer\'s browser here (the success_url we gave it, carrying a random single-use token for this transaction) with ' +
      '`?transaction_id=…` appended. The order becomes PAID with verification `browser_return` and the transaction_id is stored as proof, then the browser ' +
      'is redirected (302) to the merchant\'s success_url (or the order\'s status page). The gateway offers nothing stronger than the browser\'s word: no ' +
      'signature, no webhook, no verify API; the token only proves the browser was sent here for this transaction. ' +
      'No or a wrong token: 404. A token already used (also by a cancel): 409 `return_token_used`. An order that is no longer PENDING, or past its ' +
      'expires_at: 409 `order_not_payable` (the browser\'s word never makes a late payment). A missing or malformed transaction_id: 400. A transaction_id already ' +
      'used as proof for another payment: 409 `transaction_id_reused`. None of these change anything.',
  })
  @ApiParam({ name: 'token', description: 'The single-use return token (43 characters, base64url)' })
  @ApiQuery({ name: 'transaction_id', example: 'CJH1D2Y4W1', description: "The gateway's transaction id, stored as proof of payment" })
  @ApiResponse({ status: 302, description: "Redirect to the merchant's success_url" })
  async customerReturn(@Param('token') token: string, @Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    const txn = await this.transactionForToken(token, 'return');
    if (txn.returnTokenUsedAt) throw new ProblemException(409, 'return_token_used', 'this return link has already been used');
    const proof = query.transaction_id;
    if (proof === undefined || proof === '') throw new ProblemException(400, 'missing_transaction_id', 'the return carries no transaction_id');
    if (typeof proof !== 'string' || !GATEWAY_TRANSACTION_ID.test(proof)) throw new ProblemException(400, 'bad_transaction_id', 'transaction_id must be 4–128 letters, digits, _ or -');

    let result: TransitionResult | null = null;
    for (let attempt = 0; attempt < 5 && !result; attempt++) {
      try {
        result = await this.db.transaction(async (manager) => {
          // Lock the order before the transaction row, the order every transition takes (orders, then transactions):
          // the other way round deadlocks against a racing verify, sweep or resolve.
          await manager.query(`SELECT id FROM orders WHERE id = $1 FOR UPDATE`, [txn.orderId]);
          // Claim the token and record the proof in one statement; the unique index on (provider, provider_proof) refuses a reused transaction_id.
          const claimed: unknown[] = await manager.query(
            `UPDATE transactions SET return_token_used_at = now(), provider_proof = $2, updated_at = now()
             WHERE id = $1 AND return_token_used_at IS NULL RETURNING id`,
            [txn.id, proof],
          );
          const rows = returnedRows<unknown>(claimed);
          if (rows.length === 0) throw new ProblemException(409, 'return_token_used', 'this return link has already been used');
          const applied = await this.transitions.tryApply(
            manager,
            txn.orderId,
            // The return says nothing about the amount: the browser's word is that this transaction was paid in full.
            { kind: 'pay', verification: 'browser_return', paidAmountMinor: txn.amountMinor, paidCurrency: txn.currency, paidAt: this.clock.now() },
            { transactionId: txn.id, actor: 'provider:checkout', proof, reason: 'browser return from the hosted checkout' },
          );
          if (!applied) throw new LostRace();
          // The order is no longer open for payment (cancelled, expired, failed): the browser's word cannot pay it.
          // Thrown inside the transaction, so the token stays unspent and no proof is recorded: nothing changes.
          if (applied.decision.outcome === 'rejected') throw new ProblemException(409, 'order_not_payable', applied.decision.reason);
          return applied;
        });
      } catch (err) {
        if (err instanceof LostRace) continue;
        const e = err as { code?: string; constraint?: string };
        if (e.code === '23505' && e.constraint === 'transactions_provider_proof') {
          throw new ProblemException(409, 'transaction_id_reused', 'this transaction_id is already the proof of another payment');
        }
        throw err;
      }
    }
    if (!result) throw new ProblemException(409, 'concurrent_update', 'the order changed repeatedly while being updated; retry');
    const order = result.order;
    this.redirect(reply, order.status === 'PAID' && order.successUrl ? order.successUrl : this.statusPage(order.id));
  }

  @Get(':token/cancel')
  @ApiOperation({
    summary: "The hosted checkout's cancel return",
    description:
      'The customer cancelled on the gateway\'s page (the cancel_url we gave it, carrying its own random token, independent of the return token). ' +
      'The transaction\'s return link is spent, so it can no longer pay; a PENDING order becomes CANCELLED and the browser is redirected (302) to ' +
      'the merchant\'s cancel_url (or the order\'s status page). After a success return, or for an order that is no longer pending, the order stays as it is. A wrong token: 404.',
  })
  @ApiParam({ name: 'token', description: 'The cancel token of the transaction (43 characters, base64url)' })
  @ApiResponse({ status: 302, description: "Redirect to the merchant's cancel_url" })
  async customerCancel(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const txn = await this.transactionForToken(token, 'cancel');
    let order: Order | null = null;
    for (let attempt = 0; attempt < 5 && !order; attempt++) {
      try {
        order = await this.db.transaction(async (manager) => {
          // Orders before transactions, as every transition locks them (see customerReturn).
          await manager.query(`SELECT id FROM orders WHERE id = $1 FOR UPDATE`, [txn.orderId]);
          // A customer who cancelled has not paid: spend the return token with the cancel, so that the return link can never pay afterwards.
          const spent = returnedRows<unknown>(
            await manager.query(`UPDATE transactions SET return_token_used_at = now(), updated_at = now() WHERE id = $1 AND return_token_used_at IS NULL RETURNING id`, [txn.id]),
          );
          // Already spent (a success return came first, or this is a repeated cancel): the order stays as it is.
          if (spent.length === 0) return manager.findOneByOrFail(Order, { id: txn.orderId });
          const applied = await this.transitions.tryApply(manager, txn.orderId, { kind: 'cancel' }, { transactionId: txn.id, actor: 'provider:checkout', reason: 'the customer cancelled at the hosted checkout' });
          if (!applied) throw new LostRace();
          return applied.order;
        });
      } catch (err) {
        if (!(err instanceof LostRace)) throw err;
      }
    }
    if (!order) throw new ProblemException(409, 'concurrent_update', 'the order changed repeatedly while being updated; retry');
    this.redirect(reply, order.status === 'CANCELLED' && order.cancelUrl ? order.cancelUrl : this.statusPage(order.id));
  }
}
