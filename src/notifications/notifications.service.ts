import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SecretBox, sha256Hex } from '../common/crypto';
import { COMMON_ERRORS, problem } from '../common/problem';
import type { Scope } from '../common/scope';
import { AppConfig } from '../config/config';
import { OutboxEvent, OutboxFacts, OutboxWriter } from '../events/outbox.writer';
import { maskSecret } from '../merchants/provider-accounts.service';
import { ProviderRegistry } from '../providers/provider';
import { ChannelRow, ChannelType, NotificationChannelsRepository } from './notification-channels.repository';
import { NotificationDeliveriesRepository } from './notification-deliveries.repository';
import { notificationText } from './notification-text';
import { NotificationChannelView, PutTelegramChannelDto } from './notifications.dto';

/** Sealed with the merchant, channel and mode as associated data, so a token copied to another merchant's row, or across modes, does not open. */
export const channelAad = (scope: Scope, type: ChannelType) => `${scope.merchantId}:notification:${type}${scope.livemode ? '' : ':test'}`;

interface OrderFacts {
  id?: string;
  reference?: string;
  amount?: string;
  paid_amount?: string | null;
  currency?: string;
  provider?: string;
}

/**
 * The merchant's notification channels (Telegram) and their fan-out: every event a channel
 * subscribes to becomes one message row in the event's own transaction (the outbox), sent by
 * NotificationDispatcher. The bot token is write-only, sealed at rest, masked on read.
 */
@Injectable()
export class NotificationsService implements OnModuleInit {
  private readonly box: SecretBox;

  constructor(
    private readonly channels: NotificationChannelsRepository,
    private readonly deliveries: NotificationDeliveriesRepository,
    private readonly outbox: OutboxWriter,
    private readonly registry: ProviderRegistry,
    config: AppConfig,
  ) {
    this.box = new SecretBox(config.encryptionKey);
  }

  onModuleInit(): void {
    this.outbox.onAppend((manager, event, facts) => this.fanOut(manager, event, facts));
  }

  async putTelegram(scope: Scope, dto: PutTelegramChannelDto): Promise<NotificationChannelView> {
    const existing = await this.channels.find(scope, 'telegram');
    await this.channels.save({
      scope,
      type: 'telegram',
      chatId: dto.chat_id,
      botTokenSealed: this.box.seal(dto.bot_token, channelAad(scope, 'telegram')),
      botTokenHash: sha256Hex(dto.bot_token),
      events: [...new Set(dto.events ?? existing?.events ?? ['order.paid'])],
      language: dto.language ?? existing?.language ?? 'km',
    });
    return this.view((await this.channels.find(scope, 'telegram'))!);
  }

  async list(scope: Scope): Promise<{ data: NotificationChannelView[]; has_more: false }> {
    return { data: (await this.channels.list(scope)).map((row) => this.view(row)), has_more: false };
  }

  async deleteTelegram(scope: Scope): Promise<{ type: 'telegram'; deleted: true }> {
    if (!(await this.channels.delete(scope, 'telegram'))) throw problem(COMMON_ERRORS.not_found, 'no telegram notification channel is configured');
    return { type: 'telegram', deleted: true };
  }

  /** The bot token of a claimed delivery's channel. */
  openToken(scope: Scope, type: ChannelType, sealed: string): string {
    return this.box.open(sealed, channelAad(scope, type));
  }

  /**
   * Inside the event's transaction: one message per channel of this merchant and of the event's mode subscribed to the
   * event. `facts.notificationChannels === false`: the event's own statement found none, so no query here.
   */
  async fanOut(manager: EntityManager, event: OutboxEvent & { id: string }, facts: OutboxFacts = {}): Promise<void> {
    if (facts.notificationChannels === false) return;
    const scope = { merchantId: event.merchantId, livemode: event.livemode };
    const subscribed = await this.channels.subscribed(manager, scope, event.type);
    if (!subscribed.length) return;
    const order = ((event.data as { order?: OrderFacts }).order ?? {}) as OrderFacts;
    const provider = order.provider ? this.registry.get(order.provider) : undefined;
    for (const channel of subscribed) {
      const text = notificationText(channel.language, {
        type: event.type,
        amount: (event.type === 'order.paid' && order.paid_amount) || order.amount || '',
        currency: order.currency ?? '',
        reference: order.reference ?? '',
        gateway: provider?.displayName ?? order.provider ?? '',
        orderId: order.id ?? event.orderId,
        livemode: event.livemode,
      });
      await this.deliveries.insert(manager, { scope, channelType: channel.type, eventId: event.id, text });
    }
  }

  private view(row: ChannelRow): NotificationChannelView {
    return {
      object: 'notification_channel',
      livemode: row.livemode,
      type: row.type,
      bot_token: maskSecret(this.openToken({ merchantId: row.merchant_id, livemode: row.livemode }, row.type, row.bot_token_sealed)),
      chat_id: row.chat_id,
      events: row.events,
      language: row.language,
      created_at: new Date(row.created_at).toISOString(),
      updated_at: new Date(row.updated_at).toISOString(),
    };
  }
}
