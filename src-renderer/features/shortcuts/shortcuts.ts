/** The keyboard map, from day one: every action reachable without the mouse, documented in the UI. */
export interface Shortcut {
  id: 'newCase' | 'focusQueue' | 'search' | 'save' | 'sendToRegulation' | 'take' | 'answer' | 'hangup' | 'hold' | 'mute' | 'toggleTheme' | 'help' | 'escape';
  keys: string;
  label: string;
  match: (e: KeyboardEvent) => boolean;
}

const alt = (code: string) => (e: KeyboardEvent) => e.altKey && !e.ctrlKey && !e.metaKey && e.code === code;

export const SHORTCUTS: readonly Shortcut[] = [
  { id: 'newCase', keys: 'Alt+N', label: 'Nouveau dossier', match: alt('KeyN') },
  { id: 'focusQueue', keys: 'Alt+F', label: 'Aller à la file d’attente', match: alt('KeyF') },
  { id: 'search', keys: 'Alt+R', label: 'Rechercher un dossier (nom ou téléphone)', match: alt('KeyR') },
  { id: 'save', keys: 'Alt+S', label: 'Enregistrer le dossier', match: alt('KeyS') },
  { id: 'sendToRegulation', keys: 'Alt+E', label: 'Envoyer en régulation', match: alt('KeyE') },
  { id: 'take', keys: 'Alt+P', label: 'Prendre en charge le dossier (médecin)', match: alt('KeyP') },
  { id: 'answer', keys: 'Alt+D', label: 'Décrocher', match: alt('KeyD') },
  { id: 'hangup', keys: 'Alt+H', label: 'Raccrocher / refuser', match: alt('KeyH') },
  { id: 'hold', keys: 'Alt+K', label: 'Mettre en attente / reprendre', match: alt('KeyK') },
  { id: 'mute', keys: 'Alt+M', label: 'Couper / rétablir le micro', match: alt('KeyM') },
  { id: 'toggleTheme', keys: 'Alt+T', label: 'Thème clair / sombre', match: alt('KeyT') },
  { id: 'help', keys: 'F1', label: 'Aide : liste des raccourcis', match: (e) => e.key === 'F1' },
  { id: 'escape', keys: 'Échap', label: 'Fermer l’aide ou le dossier', match: (e) => e.key === 'Escape' },
];
