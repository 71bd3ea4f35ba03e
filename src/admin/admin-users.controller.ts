import { Body, Controller, Get, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Actor, AdminGuard } from '../merchants/auth';
import { CreateMemberDto, CreateOperatorDto, UserList, UserResponse } from '../users/users.dto';
import { UsersService } from '../users/users.service';

/** Operators create a merchant's first users (usually its owner) and other operators. */
@ApiTags('Admin')
@ApiBearerAuth('admin')
@ApiCookieAuth('session')
@UseGuards(AdminGuard)
@Controller('admin')
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Post('merchants/:id/users')
  @ApiOperation({
    summary: 'Create a user of a merchant',
    description: 'Usually its first owner, who then manages the team at /v1/team. Password ≥ 10 characters, hashed with argon2id, never shown. Audited.',
  })
  @ApiParam({ name: 'id', example: 'mer_01jd0000000000000000000000' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiResponse({ status: 404, description: 'No such merchant.' })
  @ApiResponse({ status: 409, description: '`email_taken`: a user has this email (any case).' })
  createMember(@Param('id') merchantId: string, @Body() body: CreateMemberDto, @Actor() actor: string) {
    return this.users.create({ email: body.email, password: body.password, role: body.role, merchantId }, actor);
  }

  @Get('merchants/:id/users')
  @ApiOperation({ summary: 'List a merchant’s users' })
  @ApiParam({ name: 'id', example: 'mer_01jd0000000000000000000000' })
  @ApiOkResponse({ type: UserList })
  listMembers(@Param('id') merchantId: string) {
    return this.users.team(merchantId);
  }

  @Post('operators')
  @ApiOperation({ summary: 'Create a platform operator', description: 'An operator signs in to the dashboard and may use every /admin endpoint. Audited.' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiResponse({ status: 409, description: '`email_taken`.' })
  createOperator(@Body() body: CreateOperatorDto, @Actor() actor: string) {
    return this.users.create({ email: body.email, password: body.password, role: 'operator', merchantId: null }, actor);
  }
}
