import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import './fonts.css';
import { Center, Loader, MantineProvider, createTheme } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import { AuthProvider, useAuth } from './auth';
import { Shell } from './components/Shell';
import { I18nProvider } from './i18n';
import { OrderDetail } from './pages/OrderDetail';
import { Orders } from './pages/Orders';
import { Gateways } from './pages/Gateways';
import { AuditLog } from './pages/operator/AuditLog';
import { DeadLetters } from './pages/operator/DeadLetters';
import { Merchants } from './pages/operator/Merchants';
import { Reconciliation } from './pages/operator/Reconciliation';
import { Stuck } from './pages/operator/Stuck';
import { Overview } from './pages/Overview';
import { SignIn } from './pages/SignIn';
import { Webhooks } from './pages/Webhooks';

/** Latin first, then Khmer: Noto Sans Khmer where installed, the Khmer OS fonts (Debian's fonts-khmeros) otherwise. */
const FONTS = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans Khmer", "Khmer OS System", "Khmer OS Content", "Khmer OS", sans-serif';
const theme = createTheme({ fontFamily: FONTS, headings: { fontFamily: FONTS } });
const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: 10_000, refetchOnWindowFocus: false } } });

function App() {
  const { me, loading } = useAuth();
  if (loading)
    return (
      <Center mih="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  if (!me) return <SignIn />;
  if (me.user.role === 'operator')
    return (
      <Routes>
        <Route element={<Shell />}>
          <Route path="operator/merchants" element={<Merchants />} />
          <Route path="operator/reconciliation" element={<Reconciliation />} />
          <Route path="operator/stuck" element={<Stuck />} />
          <Route path="operator/dead-letters" element={<DeadLetters />} />
          <Route path="operator/audit-log" element={<AuditLog />} />
          <Route path="*" element={<Navigate to="/operator/merchants" replace />} />
        </Route>
      </Routes>
    );
  return (
    <Routes>
      <Route element={<Shell />}>
        <Route index element={<Navigate to="/overview" replace />} />
        <Route path="overview" element={<Overview />} />
        <Route path="orders" element={<Orders />} />
        <Route path="orders/:id" element={<OrderDetail />} />
        <Route path="webhooks" element={<Webhooks />} />
        <Route path="gateways" element={<Gateways />} />
        <Route path="*" element={<Navigate to="/overview" replace />} />
      </Route>
    </Routes>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="auto">
      <QueryClientProvider client={queryClient}>
        <I18nProvider>
          <BrowserRouter basename="/dashboard">
            <AuthProvider>
              <App />
            </AuthProvider>
          </BrowserRouter>
        </I18nProvider>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
