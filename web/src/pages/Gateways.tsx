import { Alert, Badge, Button, Card, Group, JsonInput, PasswordInput, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schema } from '../../../clients/typescript';
import { api, unwrap } from '../api';
import { MutationAlerts } from '../components/MutationAlerts';
import { QueryState } from '../components/QueryState';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';

type Gateway = Schema<'GatewayView'>;
type Account = Schema<'ProviderAccountResponse'>;

/**
 * One gateway's account form (PUT /v1/provider-accounts/{id}) from its credential fields.
 * PUT replaces the whole account, so secrets must be typed again on every save: the API never returns them
 * (masked on read) and the form never holds the masked value.
 */
function GatewayForm({ gateway, account }: { gateway: Gateway; account: Account | undefined }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const queries = useQueryClient();
  const initial = () =>
    Object.fromEntries(
      gateway.credential_fields.map((f) => {
        const stored = f.secret ? undefined : account?.credentials[f.name];
        return [f.name, stored === undefined ? '' : typeof stored === 'string' ? stored : JSON.stringify(stored, null, 2)];
      }),
    );
  const [values, setValues] = useState<Record<string, string>>(initial);
  const [saved, setSaved] = useState(false);
  const done = () => queries.invalidateQueries({ queryKey: ['provider-accounts'] });
  const save = useMutation({
    mutationFn: () => {
      const body: Record<string, unknown> = {};
      for (const f of gateway.credential_fields) {
        const v = values[f.name]?.trim() ?? '';
        if (v === '') continue;
        body[f.name] = f.kind === 'object' ? (JSON.parse(v) as unknown) : v;
      }
      return unwrap(api.PUT('/v1/provider-accounts/{provider}', { params: { path: { provider: gateway.id as Account['provider'] } }, body }));
    },
    onSuccess: async () => {
      setSaved(true);
      setValues((v) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, gateway.credential_fields.find((f) => f.name === k)?.secret ? '' : x])));
      await done();
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/v1/provider-accounts/{provider}', { params: { path: { provider: gateway.id as Account['provider'] } } })),
    onSuccess: async () => {
      setValues(Object.fromEntries(gateway.credential_fields.map((f) => [f.name, ''])));
      await done();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    save.mutate();
  };
  const failure = save.error ?? remove.error;
  const titleId = `gw-${gateway.id}`;
  return (
    <Card withBorder component="section" aria-labelledby={titleId}>
      <form onSubmit={submit} noValidate={false}>
        <Stack gap="xs">
          <Group justify="space-between">
            <Title order={3} size="h4" id={titleId}>
              {gateway.id}
            </Title>
            <Badge color={account ? 'green' : 'gray'} variant="light">
              {account ? t('configured') : t('notConfigured')}
            </Badge>
          </Group>
          <Text size="xs" c="dimmed">
            {gateway.currencies.join(', ')}
            {gateway.khqr ? ' · KHQR' : ''}
            {gateway.verify ? ` · ${t('verifyApi')}` : ''}
          </Text>
          {account?.needs_attention && (
            <Alert color="orange" title={t('needsAttention')}>
              {account.needs_attention}
            </Alert>
          )}
          {account?.warnings.map((w) => (
            <Alert key={w} color="orange">
              {w}
            </Alert>
          ))}
          {account && gateway.credential_fields.some((f) => f.secret) && (
            <Text size="sm" c="dimmed">
              {t('secretsRetype')}
            </Text>
          )}
          {gateway.credential_fields.map((f) => {
            const common = {
              label: f.name,
              description: f.description,
              required: f.required,
              value: values[f.name] ?? '',
              placeholder: f.secret && account?.credentials[f.name] !== undefined ? String(account.credentials[f.name]) : (f.example ?? ''),
            };
            const set = (v: string) => setValues((old) => ({ ...old, [f.name]: v }));
            if (f.kind === 'object') return <JsonInput key={f.name} {...common} autosize minRows={2} validationError={t('invalidJson')} onChange={set} />;
            if (f.secret) return <PasswordInput key={f.name} {...common} autoComplete="new-password" onChange={(e) => set(e.currentTarget.value)} />;
            return <TextInput key={f.name} {...common} type={f.kind === 'url' ? 'url' : 'text'} onChange={(e) => set(e.currentTarget.value)} />;
          })}
          <MutationAlerts error={failure} success={saved && !save.isPending && t('saved')} />
          <Group display={can.developer ? undefined : 'none'}>
            <Button type="submit" loading={save.isPending}>
              {t('save')}
            </Button>
            {account && (
              <Button
                color="red"
                variant="light"
                loading={remove.isPending}
                onClick={() => {
                  if (window.confirm(`${t('deleteAccountConfirm')} (${gateway.id})`)) remove.mutate();
                }}
              >
                {t('deleteAccount')}
              </Button>
            )}
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

/** Every gateway with a form for the merchant's account at it; secrets arrive masked and are never shown or sent back. */
export function Gateways() {
  const { t } = useI18n();
  const gateways = useQuery({ queryKey: ['gateways'], queryFn: () => unwrap(api.GET('/v1/gateways')) });
  const accounts = useQuery({ queryKey: ['provider-accounts'], queryFn: () => unwrap(api.GET('/v1/provider-accounts')) });
  const both = {
    isPending: gateways.isPending || accounts.isPending,
    error: gateways.error ?? accounts.error,
    data: gateways.data && accounts.data ? { gateways: gateways.data.data, accounts: accounts.data.data } : undefined,
    refetch: () => Promise.all([gateways.refetch(), accounts.refetch()]),
  };
  return (
    <Stack>
      <Title order={2}>{t('navGateways')}</Title>
      <QueryState query={both} isEmpty={(d) => d.gateways.length === 0}>
        {(d) => (
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            {d.gateways.map((g) => {
              const account = d.accounts.find((a) => a.provider === g.id);
              return <GatewayForm key={g.id} gateway={g} account={account} />;
            })}
          </SimpleGrid>
        )}
      </QueryState>
    </Stack>
  );
}
