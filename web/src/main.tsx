import '@mantine/core/styles.css';
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
  return (
    <Routes>
      <Route element={<Shell />}>
        <Route index element={<Navigate to="/orders" replace />} />
        <Route path="orders" element={<Orders />} />
        <Route path="orders/:id" element={<OrderDetail />} />
        <Route path="webhooks" element={<Webhooks />} />
        <Route path="gateways" element={<Gateways />} />
        <Route path="*" element={<Navigate to="/orders" replace />} />
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
