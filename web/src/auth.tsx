import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, type ReactNode } from 'react';
import { api, ApiError, authApi, bearerKey, setCsrfToken } from './api';
import type { Me } from './auth-api';

interface AuthState {
  me: Me | null;
  loading: boolean;
  error: Error | null;
  refresh: () => Promise<unknown>;
  signOut: () => Promise<void>;
}
const Auth = createContext<AuthState | null>(null);

/**
 * BRIDGE (see api.ts bearerKey): who a typed key is. The ADMIN_TOKEN opens /admin (operator);
 * a merchant key opens /v1 (owner of its merchant). Anything else is forgotten and answers signed out.
 */
export async function meFromKey(key: string): Promise<Me> {
  const label = `…${key.slice(-4)}`;
  // Merchant keys are `sk_…`; anything else is tried as the ADMIN_TOKEN (one call each way, no guessing).
  const ok = key.startsWith('sk_')
    ? (await api.GET('/v1/orders', { params: { query: { limit: 1 } } })).response.ok
    : (await api.GET('/admin/merchants', { params: { query: { limit: 1 } } })).response.ok;
  if (ok)
    return {
      user: { id: key.startsWith('sk_') ? 'api_key' : 'admin_token', email: label, role: key.startsWith('sk_') ? 'owner' : 'operator', merchant_id: null },
      csrf_token: '',
    };
  bearerKey.set(null);
  throw new ApiError(401, { title: 'Unauthorized', detail: 'That key was not accepted.' });
}

/** Reads GET /auth/me: 401 means signed out; the CSRF token it returns goes on every unsafe request. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const queries = useQueryClient();
  const me = useQuery({
    queryKey: ['auth', 'me'],
    queryFn: async () => {
      const key = bearerKey.get();
      if (key) return meFromKey(key).catch(() => null);
      try {
        const result = await authApi.me();
        setCsrfToken(result.csrf_token);
        return result;
      } catch (err) {
        setCsrfToken(null);
        if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return null;
        throw err;
      }
    },
    retry: false,
  });
  const state: AuthState = {
    me: me.data ?? null,
    loading: me.isPending,
    error: me.error,
    refresh: () => me.refetch(),
    signOut: async () => {
      if (bearerKey.get()) bearerKey.set(null);
      else await authApi.logout().catch(() => undefined);
      setCsrfToken(null);
      queries.clear();
      await me.refetch();
    },
  };
  return <Auth.Provider value={state}>{children}</Auth.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(Auth);
  if (!state) throw new Error('useAuth outside AuthProvider');
  return state;
}
