import { Module } from '@nestjs/common';
import { NotificationChannelsRepository } from './notification-channels.repository';
import { NotificationDeliveriesRepository } from './notification-deliveries.repository';
import { NotificationDispatcher } from './notification-dispatcher';
import { NotificationChannelsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';

/** Merchant notifications (Telegram): channels, their outbox fan-out and the dispatcher. */
@Module({
  controllers: [NotificationChannelsController],
  providers: [NotificationChannelsRepository, NotificationDeliveriesRepository, NotificationsService, NotificationDispatcher],
  exports: [NotificationDispatcher, NotificationDeliveriesRepository],
})
export class NotificationsModule {}
