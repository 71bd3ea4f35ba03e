import { Alert, Button, Code, CopyButton, Group, Modal, Select, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Schema } from '../../../clients/typescript';
import { api, unwrap } from '../api';
import { useAuth } from '../auth';
import { DataTable } from '../components/DataTable';
import { MutationAlerts } from '../components/MutationAlerts';
import { StatusBadge } from '../components/QueryState';
import { useI18n } from '../i18n';
import type { MessageKey } from '../messages';

type Key = Schema<'ApiKeyView'>;
/** How long a revoked key keeps working (seconds; 0 = now): the overlap while the new key is deployed. */
const OVERLAPS: { value: string; label: MessageKey }[] = [
  { value: '0', label: 'revokeNow' },
  { value: '3600', label: 'overlap1h' },
  { value: '86400', label: 'overlap24h' },
  { value: '604800', label: 'overlap7d' },
];

function RevokeDialog({ apiKey, onClose }: { apiKey: Key; onClose: () => void }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [overlap, setOverlap] = useState('86400');
  const revoke = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE('/v1/api-keys/{id}', { params: { path: { id: apiKey.id }, query: { expires_in: overlap === '0' ? undefined : Number(overlap) } } })),
    onSuccess: async () => (await queries.invalidateQueries({ queryKey: ['api-keys'] }), onClose()),
  });
  return (
    <Modal opened onClose={onClose} title={`${t('revoke')} …${apiKey.last4}`} closeButtonProps={{ 'aria-label': t('close') }}>
      <Stack>
        <Text size="sm">{t('revokeHelp')}</Text>
        <Select
          label={t('overlap')}
          allowDeselect={false}
          data={OVERLAPS.map((o) => ({ value: o.value, label: t(o.label) }))}
          value={overlap}
          onChange={(v) => setOverlap(v ?? '0')}
        />
        <MutationAlerts error={revoke.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('close')}
          </Button>
          <Button color="red" loading={revoke.isPending} onClick={() => revoke.mutate()}>
            {t('revoke')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** API keys: create (the key is shown once), list (last four characters and status), revoke now or after an overlap. */
export function ApiKeys() {
  const { t } = useI18n();
  const { can } = useAuth();
  const queries = useQueryClient();
  const [created, setCreated] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Key | null>(null);
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => unwrap(api.GET('/v1/api-keys')) });
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/api-keys', { body: {} })),
    onSuccess: async (k) => (setCreated(k.api_key), await queries.invalidateQueries({ queryKey: ['api-keys'] })),
  });
  return (
    <Stack>
      <Title order={2}>{t('navApiKeys')}</Title>
      <Text size="sm" c="dimmed">
        {t('apiKeysHelp')}
      </Text>
      {can.developer && (
        <Group>
          <Button onClick={() => create.mutate()} loading={create.isPending}>
            {t('createKey')}
          </Button>
        </Group>
      )}
      <MutationAlerts error={create.error} />
      {created && (
        <Alert color="green" title={t('apiKeyOnce')} withCloseButton closeButtonLabel={t('close')} onClose={() => setCreated(null)} role="status">
          <Group gap="xs">
            <Code>{created}</Code>
            <CopyButton value={created}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" onClick={copy}>
                  {copied ? t('copied') : t('copy')}
                </Button>
              )}
            </CopyButton>
          </Group>
        </Alert>
      )}
      <DataTable
        query={keys}
        label={t('navApiKeys')}
        minWidth={600}
        columns={[
          { header: t('key'), cell: (k) => <Code>…{k.last4}</Code> },
          { header: t('status'), cell: (k) => <StatusBadge status={k.status} /> },
          { header: t('created'), cell: (k) => new Date(k.created_at).toLocaleString() },
          {
            header: t('expires'),
            cell: (k) => (k.expires_at ? new Date(k.expires_at).toLocaleString() : k.revoked_at ? new Date(k.revoked_at).toLocaleString() : ''),
          },
          {
            cell: (k) =>
              can.developer &&
              k.status === 'active' && (
                <Group justify="flex-end">
                  <Button size="xs" color="red" variant="light" onClick={() => setRevoking(k)} aria-label={`${t('revoke')} …${k.last4}`}>
                    {t('revoke')}
                  </Button>
                </Group>
              ),
          },
        ]}
      />
      {revoking && <RevokeDialog apiKey={revoking} onClose={() => setRevoking(null)} />}
    </Stack>
  );
}
