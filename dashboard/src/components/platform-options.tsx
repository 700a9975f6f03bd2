import { PLATFORMS } from "../sdk-snippets";

/** The `<option>`s of a platform `<select>`: every platform with SDK snippets, by its label. */
export function PlatformOptions() {
  return (
    <>
      {PLATFORMS.map((p) => (
        <option key={p.id} value={p.id}>
          {p.label}
        </option>
      ))}
    </>
  );
}
