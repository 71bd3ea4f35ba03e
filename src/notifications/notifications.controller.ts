import { Body, Controller, Delete, Get, HttpCode, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { Scope } from '../common/scope';
import { ApiKeyGuard, CurrentScope, MerchantRoles } from '../merchants/auth';
import { DeletedNotificationChannelView, NotificationChannelListView, NotificationChannelView, PutTelegramChannelDto } from './notifications.dto';
import { NotificationsService } from './notifications.service';

const PROBLEM = { 'application/problem+json': { schema: { type: 'object' } } };

@ApiTags('Notification channels')
@ApiBearerAuth('api_key')
@ApiCookieAuth('session')
@UseGuards(ApiKeyGuard)
@MerchantRoles('developer')
@Controller('v1/notification-channels')
export class NotificationChannelsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Put('telegram')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send Telegram messages for order events',
    description:
      'Each subscribed event sends the Bot API `POST {TELEGRAM_API_BASE_URL}/bot{token}/sendMessage` `{chat_id, text}` (plain text in Khmer or English: ' +
      'amount, currency, reference, gateway, order id), from the outbox, retried on the webhook schedule (5 s … 14 h, ±20 %, then dead). ' +
      'bot_token is write-only: encrypted at rest, masked on read. A later PUT replaces the channel (events and language default to the stored ones).',
  })
  @ApiOkResponse({ type: NotificationChannelView })
  @ApiUnprocessableEntityResponse({ description: 'validation_failed: a malformed bot_token, chat_id, event or language; nothing is stored.', content: PROBLEM })
  putTelegramChannel(@CurrentScope() scope: Scope, @Body() body: PutTelegramChannelDto) {
    return this.notifications.putTelegram(scope, body);
  }

  @Get()
  @ApiOperation({ summary: "The merchant's notification channels (bot tokens masked)" })
  @ApiOkResponse({ type: NotificationChannelListView })
  listNotificationChannels(@CurrentScope() scope: Scope) {
    return this.notifications.list(scope);
  }

  @Delete('telegram')
  @ApiOperation({ summary: 'Stop Telegram messages', description: 'Messages still waiting to be sent are dead-lettered.' })
  @ApiOkResponse({ type: DeletedNotificationChannelView })
  @ApiNotFoundResponse({ description: 'not_found: no Telegram channel is configured.', content: PROBLEM })
  deleteTelegramChannel(@CurrentScope() scope: Scope) {
    return this.notifications.deleteTelegram(scope);
  }
}
