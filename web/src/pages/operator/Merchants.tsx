import { Alert, Button, Code, Group, Stack, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api';
import { DataTable } from '../../components/DataTable';
import { MutationAlerts } from '../../components/MutationAlerts';
import { usePager } from '../../components/Pager';
import { StatusBadge } from '../../components/QueryState';
import { useI18n } from '../../i18n';

interface Created {
  id: string;
  name: string;
  api_key: string;
}

/** Operator console: merchants (GET/POST /admin/merchants); a new merchant's key is shown once. */
export function Merchants() {
  const { t } = useI18n();
  const queries = useQueryClient();
  const pager = usePager();
  const list = useQuery({
    queryKey: ['admin', 'merchants', pager.cursor],
    queryFn: () => unwrap(api.GET('/admin/merchants', { params: { query: { limit: 25, starting_after: pager.cursor } } })),
  });
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: async () => (await unwrap(api.POST('/admin/merchants', { body: { name } }))) as unknown as Created,
    onSuccess: async () => {
      setName('');
      await queries.invalidateQueries({ queryKey: ['admin', 'merchants'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Stack>
      <Title order={2}>{t('navMerchants')}</Title>
      <form onSubmit={submit}>
        <Group align="flex-end">
          <TextInput label={t('merchantName')} required maxLength={200} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Button type="submit" loading={create.isPending}>
            {t('createMerchant')}
          </Button>
        </Group>
      </form>
      <MutationAlerts error={create.error} />
      {create.data && (
        <Alert color="green" title={`${create.data.name} · ${t('apiKeyOnce')}`} role="status">
          <Code block>{create.data.api_key}</Code>
        </Alert>
      )}
      <DataTable
        query={list}
        label={t('navMerchants')}
        minWidth={500}
        pager={pager}
        columns={[
          { header: t('merchantName'), cell: (m) => m.name },
          { header: 'id', cell: (m) => <Code>{m.id}</Code> },
          { header: t('status'), cell: (m) => <StatusBadge status={m.status} /> },
          { header: t('created'), cell: (m) => new Date(m.created_at).toLocaleString() },
        ]}
      />
    </Stack>
  );
}
