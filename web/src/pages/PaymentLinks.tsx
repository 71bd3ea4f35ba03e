import { Anchor, Button, CopyButton, Group, Image, Modal, NumberInput, SegmentedControl, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import type { Schema } from '../../../clients/typescript';
import { api, unwrap } from '../api';
import { useAuth } from '../auth';
import { DataTable } from '../components/DataTable';
import { MutationAlerts } from '../components/MutationAlerts';
import { usePager } from '../components/Pager';
import { QueryState, StatusBadge } from '../components/QueryState';
import { useI18n } from '../i18n';

type Link = Schema<'PaymentLinkResponse'>;

/** The link's QR (PNG), fetched with the session like every call (so the test-mode header goes too) and shown from a blob: URL. */
function LinkQr({ link, onClose }: { link: Link; onClose: () => void }) {
  const { t } = useI18n();
  const [src, setSrc] = useState<string | null>(null);
  const png = useQuery({
    queryKey: ['payment-links', link.id, 'qr'],
    queryFn: () => unwrap(api.GET('/v1/payment-links/{id}/qr.png', { params: { path: { id: link.id } }, parseAs: 'blob' })),
  });
  useEffect(() => {
    if (!png.data) return;
    const url = URL.createObjectURL(png.data as Blob);
    setSrc(url);
    return () => URL.revokeObjectURL(url);
  }, [png.data]);
  return (
    <Modal opened onClose={onClose} title={`${t('qrCode')} · ${link.description}`} closeButtonProps={{ 'aria-label': t('close') }}>
      <QueryState query={png}>{() => (src ? <Image src={src} alt={`${t('qrCode')}: ${link.url}`} w={280} mx="auto" /> : null)}</QueryState>
      <Text size="xs" ta="center" mt="xs">
        {link.url}
      </Text>
    </Modal>
  );
}

function CreateLinkForm() {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [description, setDescription] = useState('');
  const [currency, setCurrency] = useState<'USD' | 'KHR'>('USD');
  const [kind, setKind] = useState<'fixed' | 'open'>('fixed');
  const [amount, setAmount] = useState('');
  const [min, setMin] = useState('');
  const [max, setMax] = useState('');
  const [maxPayments, setMaxPayments] = useState<number | string>('');
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/payment-links', {
          body: {
            description,
            currency,
            ...(kind === 'fixed' ? { amount } : { amount_min: min || undefined, amount_max: max || undefined }),
            max_payments: typeof maxPayments === 'number' ? maxPayments : undefined,
          },
        }),
      ),
    onSuccess: async () => {
      setDescription('');
      setAmount('');
      await queries.invalidateQueries({ queryKey: ['payment-links'] });
    },
  });
  const submit = (e: FormEvent) => (e.preventDefault(), create.mutate());
  const decimal = currency === 'USD' ? '[0-9]+([.][0-9]{1,2})?' : '[0-9]+';
  return (
    <form onSubmit={submit} aria-labelledby="create-link-title">
      <Stack gap="xs">
        <Title order={3} size="h4" id="create-link-title">
          {t('createLink')}
        </Title>
        <MutationAlerts error={create.error} />
        <Group align="flex-end">
          <TextInput label={t('description')} required maxLength={1000} value={description} onChange={(e) => setDescription(e.currentTarget.value)} miw={260} />
          <Select
            label={t('currency')}
            allowDeselect={false}
            data={['USD', 'KHR']}
            value={currency}
            onChange={(v) => setCurrency((v as 'USD' | 'KHR') ?? 'USD')}
            w={110}
          />
          <SegmentedControl
            aria-label={t('amountKind')}
            value={kind}
            onChange={(v) => setKind(v as 'fixed' | 'open')}
            data={[
              { value: 'fixed', label: t('amountFixed') },
              { value: 'open', label: t('amountOpen') },
            ]}
          />
        </Group>
        <Group align="flex-end">
          {kind === 'fixed' ? (
            <TextInput label={t('amount')} required inputMode="decimal" pattern={decimal} value={amount} onChange={(e) => setAmount(e.currentTarget.value)} />
          ) : (
            <>
              <TextInput label={t('amountMin')} inputMode="decimal" pattern={decimal} value={min} onChange={(e) => setMin(e.currentTarget.value)} />
              <TextInput label={t('amountMax')} inputMode="decimal" pattern={decimal} value={max} onChange={(e) => setMax(e.currentTarget.value)} />
            </>
          )}
          <NumberInput label={t('maxPayments')} min={1} max={1_000_000} allowDecimal={false} value={maxPayments} onChange={setMaxPayments} w={160} />
          <Button type="submit" loading={create.isPending}>
            {t('create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Payment links: list (counters, state), create with a fixed or open amount, copy the URL, QR, deactivate. */
export function PaymentLinks() {
  const { t } = useI18n();
  const { can } = useAuth();
  const queries = useQueryClient();
  const pager = usePager();
  const [qr, setQr] = useState<Link | null>(null);
  const links = useQuery({
    queryKey: ['payment-links', pager.cursor],
    queryFn: () => unwrap(api.GET('/v1/payment-links', { params: { query: { limit: 25, starting_after: pager.cursor } } })),
  });
  const deactivate = useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/v1/payment-links/{id}/deactivate', { params: { path: { id } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['payment-links'] }),
  });
  return (
    <Stack>
      <Title order={2}>{t('navPaymentLinks')}</Title>
      {can.owner && <CreateLinkForm />}
      <MutationAlerts error={deactivate.error} />
      <DataTable
        query={links}
        label={t('navPaymentLinks')}
        minWidth={800}
        pager={pager}
        columns={[
          { header: t('description'), cell: (l) => l.description },
          { header: t('amount'), cell: (l) => (l.amount ? `${String(l.amount)} ${l.currency}` : `${t('amountOpen')} (${l.currency})`) },
          { header: t('status'), cell: (l) => <StatusBadge status={l.active ? 'active' : 'inactive'} /> },
          { header: t('payments'), cell: (l) => `${l.payments_count}${l.max_payments ? ` / ${String(l.max_payments)}` : ''}` },
          { header: t('collected'), cell: (l) => `${l.amount_collected} ${l.currency}` },
          {
            header: t('url'),
            cell: (l) => (
              <Anchor href={l.url} target="_blank" rel="noreferrer" size="sm">
                {l.url}
              </Anchor>
            ),
          },
          {
            cell: (l) => (
              <Group gap="xs" justify="flex-end" wrap="nowrap">
                <CopyButton value={l.url}>
                  {({ copied, copy }) => (
                    <Button size="xs" variant="default" onClick={copy} aria-label={`${t('copyUrl')} ${l.description}`}>
                      {copied ? t('copied') : t('copyUrl')}
                    </Button>
                  )}
                </CopyButton>
                <Button size="xs" variant="default" onClick={() => setQr(l)} aria-label={`${t('qrCode')} ${l.description}`}>
                  {t('qrCode')}
                </Button>
                {can.owner && l.active && (
                  <Button
                    size="xs"
                    color="red"
                    variant="light"
                    loading={deactivate.isPending && deactivate.variables === l.id}
                    onClick={() => deactivate.mutate(l.id)}
                    aria-label={`${t('deactivate')} ${l.description}`}
                  >
                    {t('deactivate')}
                  </Button>
                )}
              </Group>
            ),
          },
        ]}
      />
      {qr && <LinkQr link={qr} onClose={() => setQr(null)} />}
    </Stack>
  );
}
