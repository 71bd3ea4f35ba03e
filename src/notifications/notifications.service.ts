import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SecretBox, sha256Hex } from '../common/crypto';
import { COMMON_ERRORS, problem } from '../common/problem';
import { AppConfig } from '../config/config';
import { OutboxEvent, OutboxWriter } from '../events/outbox.writer';
import { maskSecret } from '../merchants/provider-accounts.service';
import { ProviderRegistry } from '../providers/provider';
import { ChannelRow, ChannelType, NotificationChannelsRepository } from './notification-channels.repository';
import { NotificationDeliveriesRepository } from './notification-deliveries.repository';
import { notificationText } from './notification-text';
import { NotificationChannelView, PutTelegramChannelDto } from './notifications.dto';

/** Sealed with the merchant and channel as associated data, so a token copied to another merchant's row does not open. */
export const channelAad = (merchantId: string, type: ChannelType) => `${merchantId}:notification:${type}`;

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
    this.outbox.onAppend((manager, event) => this.fanOut(manager, event));
  }

  async putTelegram(merchantId: string, dto: PutTelegramChannelDto): Promise<NotificationChannelView> {
    const existing = await this.channels.find(merchantId, 'telegram');
    await this.channels.save({
      merchantId,
      type: 'telegram',
      chatId: dto.chat_id,
      botTokenSealed: this.box.seal(dto.bot_token, channelAad(merchantId, 'telegram')),
      botTokenHash: sha256Hex(dto.bot_token),
      events: [...new Set(dto.events ?? existing?.events ?? ['order.paid'])],
      language: dto.language ?? existing?.language ?? 'km',
    });
    return this.view((await this.channels.find(merchantId, 'telegram'))!);
  }

  async list(merchantId: string): Promise<{ data: NotificationChannelView[]; has_more: false }> {
    return { data: (await this.channels.list(merchantId)).map((row) => this.view(row)), has_more: false };
  }

  async deleteTelegram(merchantId: string): Promise<{ type: 'telegram'; deleted: true }> {
    if (!(await this.channels.delete(merchantId, 'telegram'))) throw problem(COMMON_ERRORS.not_found, 'no telegram notification channel is configured');
    return { type: 'telegram', deleted: true };
  }

  /** The bot token of a claimed delivery's channel. */
  openToken(merchantId: string, type: ChannelType, sealed: string): string {
    return this.box.open(sealed, channelAad(merchantId, type));
  }

  /** Inside the event's transaction: one message per channel of this merchant subscribed to the event. */
  async fanOut(manager: EntityManager, event: OutboxEvent & { id: string }): Promise<void> {
    const subscribed = await this.channels.subscribed(manager, event.merchantId, event.type);
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
      });
      await this.deliveries.insert(manager, { merchantId: event.merchantId, channelType: channel.type, eventId: event.id, text });
    }
  }

  private view(row: ChannelRow): NotificationChannelView {
    return {
      object: 'notification_channel',
      type: row.type,
      bot_token: maskSecret(this.openToken(row.merchant_id, row.type, row.bot_token_sealed)),
      chat_id: row.chat_id,
      events: row.events,
      language: row.language,
      created_at: new Date(row.created_at).toISOString(),
      updated_at: new Date(row.updated_at).toISOString(),
    };
  }
}
