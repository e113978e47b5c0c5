/** An error the user can read and dismiss: a title, the message, and a Dismiss button. */
export function ErrorAlert({
  title,
  message,
  onDismiss,
}: {
  title: string;
  message: string;
  onDismiss(): void;
}) {
  return (
    <div className="alert alert-error" role="alert">
      <p className="alert-title">{title}</p>
      <p>{message}</p>
      <button type="button" className="button-quiet" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
