// The API key lives in sessionStorage only: it is gone when the tab closes, and never in a URL or localStorage.
const KEY = "numplane.apiKey";

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}
