import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { EVENT_TYPES } from '../events/event-types';

export const NOTIFICATION_LANGUAGES = ['km', 'en'] as const;

/** A Telegram bot token as BotFather issues it: the bot id, a colon, 35-ish URL-safe characters (so it is a safe URL path segment). */
export const BOT_TOKEN_PATTERN = /^\d{3,20}:[A-Za-z0-9_-]{20,100}$/;
/** A chat id (a number, negative for groups) or a public channel's @username. */
export const CHAT_ID_PATTERN = /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/;

export class PutTelegramChannelDto {
  @ApiProperty({
    example: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0',
    description: 'The bot token from @BotFather. Write-only: encrypted at rest, masked on read, never logged.',
  })
  @IsString()
  @Matches(BOT_TOKEN_PATTERN, { message: 'bot_token must be a Telegram bot token (digits, a colon, then letters, digits, _ or -)' })
  bot_token: string;

  @ApiProperty({
    example: '-1001234567890',
    description: 'Where the bot writes: a chat id (negative for groups) or @channelusername. The bot must be a member.',
  })
  @IsString()
  @Matches(CHAT_ID_PATTERN, { message: 'chat_id must be a numeric chat id or an @username' })
  chat_id: string;

  @ApiPropertyOptional({ enum: EVENT_TYPES, isArray: true, example: ['order.paid'], description: 'Events that send a message; default ["order.paid"].' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true, message: `events must be among ${EVENT_TYPES.join(', ')}` })
  events?: string[];

  @ApiPropertyOptional({ enum: NOTIFICATION_LANGUAGES, example: 'km', description: 'Language of the messages: Khmer (default) or English.' })
  @IsOptional()
  @IsIn(NOTIFICATION_LANGUAGES, { message: 'language must be km or en' })
  language?: 'km' | 'en';
}

export class NotificationChannelView {
  @ApiProperty({ example: 'notification_channel' }) object: 'notification_channel';
  @ApiProperty({
    description: 'The mode of the key that configured it: it gets only that mode’s events (a test-mode channel’s messages start with [TEST]).',
    example: true,
  })
  livemode: boolean;
  @ApiProperty({ example: 'telegram', enum: ['telegram'] }) type: 'telegram';
  @ApiProperty({ example: '••••saw0', description: 'Masked: only the last four characters.' }) bot_token: string;
  @ApiProperty({ example: '-1001234567890' }) chat_id: string;
  @ApiProperty({ enum: EVENT_TYPES, isArray: true, example: ['order.paid'] }) events: string[];
  @ApiProperty({ enum: NOTIFICATION_LANGUAGES, example: 'km' }) language: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class NotificationChannelListView {
  @ApiProperty({ type: [NotificationChannelView] }) data: NotificationChannelView[];
  @ApiProperty({ example: false }) has_more: boolean;
}

export class DeletedNotificationChannelView {
  @ApiProperty({ example: 'telegram' }) type: string;
  @ApiProperty({ example: true }) deleted: true;
}
