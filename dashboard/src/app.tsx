export function App() {
  return (
    <main class="page">
      <h1>Faultline</h1>
    </main>
  );
}
