import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiCookieAuth, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/config';
import { problem } from '../common/problem';
import { LoginDto, MeResponse } from './users.dto';
import { USERS_ERRORS } from './users.errors';
import { clearSessionCookie, CSRF_HEADER, SESSION_COOKIE, sessionTokenOf, setSessionCookie } from './session-cookie';
import { SessionsService, SessionUser } from './sessions.service';

const me = (user: SessionUser, csrfToken: string): MeResponse => ({
  user: { id: user.id, email: user.email, role: user.role, merchant_id: user.merchantId, merchant_name: user.merchantName },
  csrf_token: csrfToken,
});

/** Dashboard sign-in: a server-side session in an HttpOnly cookie, and the CSRF token that goes with it. */
@ApiTags('Auth')
@Controller('auth')
export class AuthController {
  private readonly secure: boolean;

  constructor(
    private readonly sessions: SessionsService,
    config: AppConfig,
  ) {
    this.secure = config.publicBaseUrl.startsWith('https:');
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in',
    description:
      `Sets the \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Lax, Path=/, Secure when PUBLIC_BASE_URL is https; 12 hours) and answers the user and its CSRF token. ` +
      'Failed sign-ins are throttled per email and per client address (5 per 15 minutes): past that, 429 with Retry-After whatever the password.',
  })
  @ApiBody({ type: LoginDto, examples: { demo: { value: { email: 'demo@example.com', password: 'the password printed at start' } } } })
  @ApiOkResponse({ type: MeResponse })
  @ApiResponse({ status: 400, description: 'Malformed body (problem+json).' })
  @ApiResponse({ status: 401, description: '`invalid_credentials`: unknown email or wrong password (one answer for both).' })
  @ApiResponse({ status: 429, description: '`rate_limited`: too many failed sign-ins for this email or from this address; see Retry-After.' })
  async login(@Body() body: LoginDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<MeResponse> {
    const { token, user } = await this.sessions.login(body.email, body.password, req.ip);
    setSessionCookie(reply, token, this.secure);
    const full = (await this.sessions.authenticate(token)) ?? user;
    return me(full, this.sessions.csrfTokenFor(token));
  }

  @Post('logout')
  @HttpCode(204)
  @ApiCookieAuth('session')
  @ApiHeader({ name: 'X-CSRF-Token', required: true, description: 'The csrf_token of GET /auth/me.' })
  @ApiOperation({ summary: 'Sign out', description: 'Revokes the session server-side (the cookie stops working everywhere) and clears the cookie.' })
  @ApiNoContentResponse({ description: 'Signed out.' })
  @ApiResponse({ status: 401, description: '`session_required`: no live session.' })
  @ApiResponse({ status: 403, description: '`csrf_failed`: X-CSRF-Token missing or wrong.' })
  async logout(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const { token } = await this.liveSession(req);
    if (!this.sessions.csrfMatches(token, req.headers[CSRF_HEADER]))
      throw problem(USERS_ERRORS.csrf_failed, 'send the csrf_token of GET /auth/me as X-CSRF-Token');
    await this.sessions.logout(token);
    clearSessionCookie(reply, this.secure);
  }

  @Get('me')
  @ApiCookieAuth('session')
  @ApiOperation({ summary: 'The signed-in user', description: 'The user of the session cookie and the CSRF token to send on unsafe requests.' })
  @ApiOkResponse({ type: MeResponse })
  @ApiResponse({ status: 401, description: '`session_required`: no cookie, or the session expired or was revoked.' })
  async getCurrentUser(@Req() req: FastifyRequest): Promise<MeResponse> {
    const { token, user } = await this.liveSession(req);
    return me(user, this.sessions.csrfTokenFor(token));
  }

  private async liveSession(req: FastifyRequest): Promise<{ token: string; user: SessionUser }> {
    const token = sessionTokenOf(req);
    const user = token ? await this.sessions.authenticate(token) : null;
    if (!token || !user) throw problem(USERS_ERRORS.session_required, 'sign in with POST /auth/login');
    return { token, user };
  }
}
