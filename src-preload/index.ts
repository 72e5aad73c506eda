/**
 * Exposes the contract's two channels, and nothing else: never raw ipcRenderer. Bundled standalone
 * (CommonJS) so the renderer's sandbox stays on.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, PRELOAD_GLOBAL, type RawBridge } from '../src-shared/contract/bridge';

const bridge: RawBridge = {
  invoke: (method, params) => ipcRenderer.invoke(IPC_INVOKE_CHANNEL, { method, params }),
  on: (listener) => {
    const wrapped = (_e: IpcRendererEvent, event: unknown, payload: unknown) => {
      if (typeof event === 'string') listener(event, payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
  },
};
contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, bridge);
