/** The Teams dialect (seed 001) with its operations. */
import { teams } from './dialect';
import { projectRoutes } from './projects';

teams.add(projectRoutes);

export { teams };
