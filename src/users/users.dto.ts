import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { IsEmailAddress } from '../common/email';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './passwords';

export const MERCHANT_ROLES = ['owner', 'developer', 'viewer'] as const;
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class LoginDto {
  @ApiProperty({ example: 'demo@example.com', maxLength: 254 })
  @Transform(trim)
  @IsEmailAddress({ message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'correct horse battery staple', maxLength: MAX_PASSWORD_LENGTH })
  @IsString()
  @MaxLength(MAX_PASSWORD_LENGTH)
  password: string;
}

export class CreateOperatorDto {
  @ApiProperty({ example: 'ops@example.com', description: 'Unique whatever its case; stored in lower case.', maxLength: 254 })
  @Transform(trim)
  @IsEmailAddress({ message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({
    example: 'a long passphrase',
    minLength: MIN_PASSWORD_LENGTH,
    maxLength: MAX_PASSWORD_LENGTH,
    description: 'Hashed with argon2id; never shown again.',
  })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH, { message: `password must be at least ${MIN_PASSWORD_LENGTH} characters` })
  @MaxLength(MAX_PASSWORD_LENGTH)
  password: string;
}

export class CreateMemberDto extends CreateOperatorDto {
  @ApiProperty({
    enum: MERCHANT_ROLES,
    example: 'developer',
    description: '`owner`: everything, team included; `developer`: API keys, webhooks, gateways, notifications, and reads; `viewer`: reads.',
  })
  @IsIn(MERCHANT_ROLES)
  role: (typeof MERCHANT_ROLES)[number];
}

export class ChangeRoleDto {
  @ApiProperty({ enum: MERCHANT_ROLES, example: 'viewer' })
  @IsIn(MERCHANT_ROLES)
  role: (typeof MERCHANT_ROLES)[number];
}

export class UserResponse {
  @ApiProperty({ example: 'usr_01jd0000000000000000000000' }) id: string;
  @ApiProperty({ enum: ['user'] }) object: 'user';
  @ApiProperty({ example: 'dev@example.com' }) email: string;
  @ApiProperty({ enum: [...MERCHANT_ROLES, 'operator'] }) role: string;
  @ApiProperty({ nullable: true, type: String, example: 'mer_01jd0000000000000000000000', description: 'Null for operators.' }) merchant_id: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class UserList {
  @ApiProperty({ type: [UserResponse] }) data: UserResponse[];
  @ApiProperty() has_more: boolean;
}

export class MeUser {
  @ApiProperty({ example: 'usr_01jd0000000000000000000000' }) id: string;
  @ApiProperty({ example: 'demo@example.com' }) email: string;
  @ApiProperty({ enum: [...MERCHANT_ROLES, 'operator'] }) role: string;
  @ApiProperty({ nullable: true, type: String, example: 'mer_01jd0000000000000000000000' }) merchant_id: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, example: 'Demo Merchant', description: 'The merchant’s name (null for operators).' }) merchant_name?:
    string | null;
}

export class MeResponse {
  @ApiProperty({ type: MeUser }) user: MeUser;
  @ApiProperty({ description: 'Send it as header X-CSRF-Token on every POST, PUT, PATCH and DELETE made with the session cookie.', example: '3f9c…' })
  csrf_token: string;
}
