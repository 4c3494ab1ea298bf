import { APP_NAME } from '../../app/contract/product.ts';

/** The application shell. The connection, prompt and rule views arrive with the desktop-app issue. */
export function App(): React.JSX.Element {
  return (
    <main>
      <h1>{APP_NAME}</h1>
      <p>Waiting for the firewall engine.</p>
    </main>
  );
}
