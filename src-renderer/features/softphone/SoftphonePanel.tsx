/** The softphone's place in the layout. The SIP phone itself comes with its own issue (sip.js). */
export function SoftphonePanel() {
  return (
    <section className="panel softphone" aria-label="Téléphonie">
      <h2>Téléphonie</h2>
      <p className="phone-state phone-off" role="status">
        <span aria-hidden="true">●</span> Téléphone non configuré
      </p>
      <p className="muted small">
        Le softphone intégré (SIP) n’est pas encore installé sur ce poste : les appels se prennent sur le téléphone habituel et le dossier
        s’ouvre avec <kbd>Alt</kbd>+<kbd>N</kbd>.
      </p>
    </section>
  );
}
