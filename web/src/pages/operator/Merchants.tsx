import { Alert, Button, Code, Group, Stack, Table, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api';
import { Pager, usePager } from '../../components/Pager';
import { QueryState, StatusBadge } from '../../components/QueryState';
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
      {create.error && (
        <Alert color="red" role="alert">
          {create.error.message}
        </Alert>
      )}
      {create.data && (
        <Alert color="green" title={`${create.data.name} · ${t('apiKeyOnce')}`} role="status">
          <Code block>{create.data.api_key}</Code>
        </Alert>
      )}
      <QueryState query={list} isEmpty={(d) => d.data.length === 0}>
        {(page) => (
          <>
            <Table.ScrollContainer minWidth={500}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('merchantName')}</Table.Th>
                    <Table.Th>id</Table.Th>
                    <Table.Th>{t('status')}</Table.Th>
                    <Table.Th>{t('created')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.data.map((m) => (
                    <Table.Tr key={m.id}>
                      <Table.Td>{m.name}</Table.Td>
                      <Table.Td>
                        <Code>{m.id}</Code>
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={m.status} />
                      </Table.Td>
                      <Table.Td>{new Date(m.created_at).toLocaleString()}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Pager {...pager} page={page} />
          </>
        )}
      </QueryState>
    </Stack>
  );
}
