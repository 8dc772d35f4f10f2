import { LocalBus } from '../../src/bus/local-bus.js';
import { MemorySeatStore } from '../../src/seats/memory-seat-store.js';
import { describeSeatStoreContract } from '../contracts/seat-store.contract.js';

describeSeatStoreContract('memory', async () => {
  const bus = new LocalBus(1000);
  return { store: new MemorySeatStore(bus), bus };
});
