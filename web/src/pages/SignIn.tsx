import { Alert, Button, Center, Divider, Group, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { authApi, bearerKey } from '../api';
import { meFromKey, useAuth } from '../auth';
import { LanguageSwitch } from '../components/Shell';
import { useI18n } from '../i18n';

export function SignIn() {
  const { t } = useI18n();
  const { refresh } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [key, setKey] = useState('');
  const login = useMutation({ mutationFn: () => authApi.login({ email, password }), onSuccess: () => refresh() });
  // BRIDGE (api.ts bearerKey): sign in with a merchant API key or the ADMIN_TOKEN until /auth lands.
  const keyLogin = useMutation({
    mutationFn: async () => {
      bearerKey.set(key.trim());
      return meFromKey(key.trim());
    },
    onSuccess: () => refresh(),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate();
  };
  const submitKey = (e: FormEvent) => {
    e.preventDefault();
    keyLogin.mutate();
  };
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={420} component="main">
        <Stack>
          <form onSubmit={submit} aria-labelledby="sign-in-title">
            <Stack>
              <Group justify="space-between">
                <Title order={1} size="h3" id="sign-in-title">
                  {t('signInTitle')}
                </Title>
              </Group>
              <LanguageSwitch />
              {login.error && (
                <Alert color="red" role="alert">
                  {login.error.message}
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
          <Divider label={t('or')} />
          <form onSubmit={submitKey} aria-labelledby="key-sign-in-title">
            <Stack gap="xs">
              <Title order={2} size="h5" id="key-sign-in-title">
                {t('keySignInTitle')}
              </Title>
              <Text size="xs" c="dimmed">
                {t('keySignInHelp')}
              </Text>
              {keyLogin.error && (
                <Alert color="red" role="alert">
                  {keyLogin.error.message}
                </Alert>
              )}
              <PasswordInput label={t('apiKeyOrToken')} autoComplete="off" required value={key} onChange={(e) => setKey(e.currentTarget.value)} />
              <Button type="submit" variant="light" loading={keyLogin.isPending}>
                {t('keySignIn')}
              </Button>
            </Stack>
          </form>
        </Stack>
      </Paper>
    </Center>
  );
}
