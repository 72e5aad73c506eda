import '../src-renderer/ui/zod-jitless';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { EffectorPage } from './EffectorPage';
import './page.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <EffectorPage />
  </StrictMode>,
);
