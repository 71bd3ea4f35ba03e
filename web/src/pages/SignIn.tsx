import { Alert, Button, Center, Group, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { authApi } from '../api';
import { useAuth } from '../auth';
import { LanguageSwitch } from '../components/Shell';
import { useI18n } from '../i18n';

export function SignIn() {
  const { t } = useI18n();
  const { refresh } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation({ mutationFn: () => authApi.login({ email, password }), onSuccess: () => refresh() });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate();
  };
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
      </Paper>
    </Center>
  );
}
