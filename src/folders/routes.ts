import { createRouter } from '../http/router';

export const folderRoutes = createRouter();
