import { Alert, Button, Center, Group, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, authApi, setCsrfToken } from '../api';
import { LanguageSwitch } from '../components/Shell';
import { useI18n } from '../i18n';

/** Email and password (POST /auth/login): the server answers with an HttpOnly session cookie and the CSRF token. */
export function SignIn({ failure }: { failure?: Error | null }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation({
    mutationFn: () => authApi.login({ email, password }),
    onSuccess: (me) => {
      setCsrfToken(me.csrf_token);
      queries.setQueryData(['auth', 'me'], me);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate();
  };
  const error = login.error ?? failure;
  const message = error instanceof ApiError && error.status === 429 ? `${t('throttled')} ${error.message}` : error?.message;
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={420} component="main">
        <form onSubmit={submit} aria-labelledby="sign-in-title">
          <Stack>
            <Group justify="space-between">
              <Title order={1} size="h3" id="sign-in-title">
                {t('signInTitle')}
              </Title>
            </Group>
            <LanguageSwitch />
            {message && (
              <Alert color="red" role="alert">
                {message}
              </Alert>
            )}
            <TextInput label={t('email')} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
            <PasswordInput
              label={t('password')}
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <Button type="submit" loading={login.isPending}>
              {t('signIn')}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
