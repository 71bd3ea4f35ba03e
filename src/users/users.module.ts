import { Global, Module } from '@nestjs/common';
import { AuthController } from './auth.controller';
import { Passwords } from './passwords';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/** Users, sessions and sign-in. Global: the merchant and admin guards accept a session, and admin/team endpoints manage users. */
@Global()
@Module({
  controllers: [AuthController],
  providers: [Passwords, UsersRepository, SessionsRepository, SessionsService, UsersService],
  exports: [SessionsService, UsersService],
})
export class UsersModule {}
