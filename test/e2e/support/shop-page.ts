import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for an operator's shop: a blank page served from its own port, so a page opened
 * there is of another origin than the API. The test drives it with `page.evaluate`, which runs
 * in the page with that origin (fetch and EventSource are then cross-origin requests).
 */
export interface ShopPage {
  port: number;
  close(): Promise<void>;
}

export async function startShopPage(): Promise<ShopPage> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><html><head><title>shop</title></head><body>shop</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
