import { Body, Controller, Delete, Get, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ChangeRoleDto, CreateMemberDto, UserList, UserResponse } from '../users/users.dto';
import { UsersService } from '../users/users.service';
import { Actor, ApiKeyGuard, AuthedMerchant, CurrentMerchant, TeamManagement } from './auth';

/** A merchant's people: every member reads the list; owners add, re-role and remove members. Session only (API keys get 403). */
@ApiTags('Team')
@ApiCookieAuth('session')
@UseGuards(ApiKeyGuard)
@TeamManagement()
@Controller('v1/team')
export class TeamController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List the merchant’s users', description: 'Oldest first. Any signed-in member of the merchant; API keys are refused.' })
  @ApiOkResponse({ type: UserList })
  @ApiResponse({ status: 403, description: '`forbidden`: an API key.' })
  listTeamMembers(@CurrentMerchant() merchant: AuthedMerchant) {
    return this.users.team(merchant.id);
  }

  @Post()
  @ApiOperation({
    summary: 'Add a user to the team',
    description:
      'Owners only. The owner sets the first password (≥ 10 characters) and hands it over; the user signs in with it. 409 `email_taken` when the email has a user (any merchant, any case).',
  })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiResponse({ status: 403, description: '`forbidden`: not an owner; `csrf_failed`: no X-CSRF-Token.' })
  @ApiResponse({ status: 409, description: '`email_taken`.' })
  addTeamMember(@CurrentMerchant() merchant: AuthedMerchant, @Body() body: CreateMemberDto, @Actor() actor: string) {
    return this.users.create({ email: body.email, password: body.password, role: body.role, merchantId: merchant.id }, actor);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a user’s role',
    description: 'Owners only; applies to the user’s open sessions at once. 409 `last_owner` when the merchant would have no owner left.',
  })
  @ApiParam({ name: 'id', example: 'usr_01jd0000000000000000000000' })
  @ApiOkResponse({ type: UserResponse })
  @ApiResponse({ status: 404, description: 'No such user in this merchant.' })
  @ApiResponse({ status: 409, description: '`last_owner`.' })
  changeTeamMemberRole(@CurrentMerchant() merchant: AuthedMerchant, @Param('id') id: string, @Body() body: ChangeRoleDto, @Actor() actor: string) {
    return this.users.changeRole(merchant.id, id, body.role, actor);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Remove a user',
    description: 'Owners only; the user’s sessions end with it. 409 `last_owner` for the last owner. Answers the removed user.',
  })
  @ApiParam({ name: 'id', example: 'usr_01jd0000000000000000000000' })
  @ApiOkResponse({ type: UserResponse })
  @ApiResponse({ status: 404, description: 'No such user in this merchant.' })
  @ApiResponse({ status: 409, description: '`last_owner`.' })
  removeTeamMember(@CurrentMerchant() merchant: AuthedMerchant, @Param('id') id: string, @Actor() actor: string) {
    return this.users.remove(merchant.id, id, actor);
  }
}
