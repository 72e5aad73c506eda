import { Component, type ErrorInfo, type ReactNode } from 'react';

/**
 * One panel's error stays in that panel: a render error in the case, the queue or the statistics
 * shows a calm message where the panel was, and the softphone, the queue and the rest keep
 * working (in the middle of a call). The error is reported (console, so the Electron log and the
 * browser's devtools have it) and the panel can be drawn again.
 */
interface Props {
  name: string;
  children?: ReactNode;
  /** When it changes (another case opened), a failed panel is drawn again. */
  resetKey?: string | undefined;
  onError?: (panel: string, error: Error) => void;
}

interface State {
  error: Error | null;
  /** The resetKey the error happened under. */
  key: string | undefined;
}

export class PanelBoundary extends Component<Props, State> {
  override state: State = { error: null, key: this.props.resetKey };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey === state.key ? null : { error: null, key: props.resetKey };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`[panneau ${this.props.name}] erreur d’affichage :`, error, info.componentStack);
    this.props.onError?.(this.props.name, error);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <section className="panel panel-failed" role="alert" aria-label={`${this.props.name} : erreur`}>
        <h2>{this.props.name} : affichage interrompu</h2>
        <p>
          Ce panneau a rencontré une erreur et a été isolé ; le téléphone, la file et les autres panneaux continuent de fonctionner. Rien de ce qui était enregistré
          n’est perdu.
        </p>
        <p className="muted small mono">{error.message}</p>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Réafficher le panneau
        </button>
      </section>
    );
  }
}
