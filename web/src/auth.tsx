import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, type ReactNode } from 'react';
import { ApiError, authApi, permissions, setCsrfToken, type Me } from './api';

interface AuthState {
  me: Me | null;
  loading: boolean;
  error: Error | null;
  can: ReturnType<typeof permissions>;
  refresh: () => Promise<unknown>;
  signOut: () => Promise<void>;
}
const Auth = createContext<AuthState | null>(null);

/** Reads GET /auth/me: 401 means signed out; the CSRF token it returns goes on every unsafe request. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const queries = useQueryClient();
  const me = useQuery({
    queryKey: ['auth', 'me'],
    queryFn: async () => {
      try {
        const result = await authApi.me();
        setCsrfToken(result.csrf_token);
        return result;
      } catch (err) {
        setCsrfToken(null);
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    retry: false,
  });
  const state: AuthState = {
    me: me.data ?? null,
    loading: me.isPending,
    error: me.error,
    can: permissions(me.data?.user.role),
    refresh: () => me.refetch(),
    signOut: async () => {
      await authApi.logout().catch(() => undefined);
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
