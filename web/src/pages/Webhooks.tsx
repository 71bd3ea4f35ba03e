import { Alert, Button, Code, Group, Stack, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, unwrap } from '../api';
import { useAuth } from '../auth';
import { DataTable } from '../components/DataTable';
import { MutationAlerts } from '../components/MutationAlerts';
import { useI18n } from '../i18n';
import { WebhookDeliveries } from './WebhookDeliveries';

export function Webhooks() {
  const { t } = useI18n();
  const { can } = useAuth();
  const queries = useQueryClient();
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const endpoints = useQuery({
    queryKey: ['webhook-endpoints'],
    queryFn: () => unwrap(api.GET('/v1/webhook-endpoints', { params: { query: { limit: 100 } } })),
  });
  const refresh = () => queries.invalidateQueries({ queryKey: ['webhook-endpoints'] });
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/webhook-endpoints', { body: { url } })),
    onSuccess: (e) => (setSecret(e.secret), setUrl(''), refresh()),
  });
  const rotate = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/v1/webhook-endpoints/{id}/rotate-secret', { params: { path: { id } }, body: {} })),
    onSuccess: (e) => setSecret(e.secret),
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/v1/webhook-endpoints/{id}', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const failure = create.error ?? rotate.error ?? remove.error;
  const submit = (e: FormEvent) => (e.preventDefault(), create.mutate());
  return (
    <Stack>
      <Title order={2}>{t('endpoints')}</Title>
      <MutationAlerts error={failure} />
      {secret && (
        <Alert color="green" title={t('secretOnce')} withCloseButton onClose={() => setSecret(null)}>
          <Code>{secret}</Code>
        </Alert>
      )}
      {can.developer && (
        <form onSubmit={submit}>
          <Group align="flex-end">
            <TextInput
              label={t('url')}
              type="url"
              required
              placeholder="https://example.com/webhooks/khqr"
              value={url}
              onChange={(e) => setUrl(e.currentTarget.value)}
              miw={320}
            />
            <Button type="submit" loading={create.isPending}>
              {t('add')}
            </Button>
          </Group>
        </form>
      )}
      <DataTable
        query={endpoints}
        label={t('endpoints')}
        minWidth={600}
        striped={false}
        columns={[
          { header: t('url'), cell: (e) => e.url },
          { header: t('events'), cell: (e) => e.events.join(', ') },
          {
            cell: (e) =>
              can.developer && (
                <Group gap="xs" justify="flex-end">
                  <Button size="xs" variant="default" onClick={() => rotate.mutate(e.id)}>
                    {t('rotateSecret')}
                  </Button>
                  <Button size="xs" color="red" variant="light" onClick={() => remove.mutate(e.id)}>
                    {t('delete')}
                  </Button>
                </Group>
              ),
          },
        ]}
      />
      <WebhookDeliveries />
    </Stack>
  );
}
